/** MQTT 3.1.1 packets written by hand (§2.2 fixed header, §1.5.3 strings), for raw-socket probes of the hub. */

export function mqttPacket(typeAndFlags: number, body: Buffer): Buffer {
  const length: number[] = [];
  for (let n = body.length; ;) {
    const byte = n % 128;
    n = Math.floor(n / 128);
    length.push(n > 0 ? byte | 0x80 : byte);
    if (n === 0) break;
  }
  return Buffer.concat([Buffer.from([typeAndFlags, ...length]), body]);
}

export function mqttString(text: string): Buffer {
  const bytes = Buffer.from(text);
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** CONNECT, protocol level 4, flags: user name, password, clean session; keep-alive 60 s. */
export const mqttConnect = (clientId: string, username: string, password: string): Buffer =>
  mqttPacket(
    0x10,
    Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0xc2, 0, 60]), mqttString(clientId), mqttString(username), mqttString(password)]),
  );
