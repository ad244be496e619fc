/**
 * Lets unmodified azure-iothub code reach an IoT Hub on a port other than 443.
 *
 * azure-iothub passes the connection string's HostName as `host` to https.request and never sets a
 * port, so `HostName=localhost:8443` fails with ENOTFOUND. This wraps https.request (the SDK looks
 * it up at call time) to split such a `host` into host name and port, and can add a CA to trust for
 * exactly those requests, so no NODE_EXTRA_CA_CERTS is needed for a local hub.
 *
 *   node -r fleetwave/dist/local/preload/iothubHostPortPreload.js app.js
 *   (optionally FLEETWAVE_HUB_CA=/path/to/ca.pem)
 *
 * or in code: installIotHubHostPort({ ca }) before the first call.
 */
import https from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

export interface IotHubHostPortOptions {
  /** PEM of a CA to trust for requests whose host carries an explicit port. */
  ca?: string | Buffer;
}

type RequestFn = typeof https.request;
/** Kept on the patched function, so every copy of this module (bundles, test runners) shares it. */
const STATE = Symbol.for('fleetwave.iothubHostPort.state');
interface ShimState {
  extraCas: (string | Buffer)[];
  /** Built once per set of CAs: parsing the public roots for every connection would be costly. */
  secureContext?: SecureContext;
}
type PatchedRequest = RequestFn & { [STATE]?: ShimState };

/** Idempotent: later calls only add CAs. */
export function installIotHubHostPort(options: IotHubHostPortOptions = {}): void {
  let patched = https.request as PatchedRequest;
  if (!patched[STATE]) {
    const original = https.request;
    const state: ShimState = { extraCas: [] };
    patched = function request(this: unknown, ...args: unknown[]) {
      const [first] = args;
      if (first && typeof first === 'object' && !(first instanceof URL)) {
        args[0] = splitHostPort(first as RequestOptions, state.secureContext);
      }
      return (original as (...a: unknown[]) => ReturnType<RequestFn>).apply(this, args);
    } as PatchedRequest;
    patched[STATE] = state;
    https.request = patched;
  }
  const state = patched[STATE]!;
  if (options.ca && !state.extraCas.some((ca) => ca.toString() === options.ca!.toString())) {
    state.extraCas.push(options.ca);
    // Our CAs alongside the public roots, which a `ca` of our own would otherwise replace.
    state.secureContext = createSecureContext({ ca: [...rootCertificates, ...state.extraCas] });
  }
}

/** `host: "name:port"` (or "[v6]:port") becomes hostname + port + servername. */
/** https.request passes tls.connect options through; its typings leave secureContext out. */
type RequestOptions = https.RequestOptions & { secureContext?: SecureContext };

function splitHostPort(options: RequestOptions, secureContext: SecureContext | undefined): RequestOptions {
  const host = options.host;
  if (typeof host !== 'string' || options.port !== undefined) return options;
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(host);
  if (!match) return options;
  const hostname = match[1] ?? match[2];
  const split: RequestOptions = { ...options, host: hostname, hostname, port: Number(match[3]) };
  if (!/^[\d.]+$/.test(hostname) && !hostname.includes(':')) split.servername = hostname;
  if (secureContext && options.ca === undefined && options.secureContext === undefined) split.secureContext = secureContext;
  return split;
}
