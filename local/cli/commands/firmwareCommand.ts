import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { DeviceModel } from '../../../contracts/signing/signedManifest';
import { FirmwareServer } from '../../firmware/FirmwareServer';
import { makeFirmwareImage } from '../../firmware/makeFirmwareImage';
import { collectModels, parsePort, parsePositiveInt } from '../options';
import { inputErrors, registerSigningCommands, signingMaterial, writeSignedManifest, type SignFlags } from './firmwareSigningCommands';
import { DEFAULT_HUB_DATA_DIR } from '../runningHub';
import { onShutdown } from '../../../device/cli/shutdown';

/** `fleetwave firmware make|serve|keygen|roots|certify|sign|verify|bundle`: demo images, a server for them, their signatures. */
export function registerFirmwareCommand(program: Command): void {
  const firmware = program.command('firmware').description('Make firmware images and serve them to devices.');

  firmware
    .command('make')
    .description('Write an image and its manifest {version, sha256, size, file}; prints the manifest.')
    .requiredOption('--version <version>', 'firmware version, e.g. 2.0.0')
    .requiredOption('--size <bytes>', 'image size in bytes', parsePositiveInt)
    .requiredOption('--out <dir>', 'where to write firmware-<version>.bin and .json')
    .option('--sign-key <file>', 'also sign it with this signing key (needs --cert): writes firmware-<version>.manifest.jws')
    .option('--cert <file>', "the signing key's certificate (firmware certify)")
    .option('--model <[manufacturer/]model>', 'with --sign-key: restrict the image to this device model (repeatable)', collectModels)
    .action(
      inputErrors(async (flags: { version: string; size: number; out: string; model?: DeviceModel[] } & SignFlags) => {
        const signing = flags.signKey === undefined && flags.cert === undefined ? undefined : await signingMaterial(flags);
        if (flags.model && !signing) throw new Error('--model restricts what the signed manifest allows: it needs --sign-key and --cert');
        const manifest = makeFirmwareImage({ version: flags.version, size: flags.size, outDir: resolve(flags.out) });
        if (signing) console.error(`Signed manifest: ${writeSignedManifest(manifest, resolve(flags.out), signing, flags.model)}`);
        console.log(JSON.stringify(manifest, null, 2));
      }),
    );

  firmware
    .command('serve <dir>')
    .description('Serve a directory of images over HTTPS with the local CA (Range and ETag supported).')
    .option('--port <port>', 'port to listen on', parsePort, 8444)
    .option('--host <name>', 'host name devices use (the certificate covers it)', 'localhost')
    .option('--bind <address>', 'address to listen on', '127.0.0.1')
    .option('--tls-dir <dir>', 'where the local CA lives', `${DEFAULT_HUB_DATA_DIR}/tls`)
    .action(async (dir: string, flags: { port: number; host: string; bind: string; tlsDir: string }) => {
      const server = await new FirmwareServer({
        dir: resolve(dir),
        tlsDir: resolve(flags.tlsDir),
        host: flags.host,
        bindAddress: flags.bind,
        port: flags.port,
      }).start();
      console.log(`Serving ${resolve(dir)} at ${server.url('')} (CA: ${resolve(flags.tlsDir, 'ca.pem')}); Ctrl-C to stop.`);
      onShutdown(() => server.close());
    });

  registerSigningCommands(firmware);
}
