import https from 'node:https';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request to the hub's HTTPS service endpoint carrying exactly the Authorization and body the
 * caller gives (none when undefined), as no SDK would send it; the answer is read whole.
 */
export function hubHttpsRequest(
  endpoint: { host: string; port: number; ca: string | Buffer },
  method: string,
  path: string,
  { authorization, body }: { authorization?: string; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: endpoint.host,
        port: endpoint.port,
        method,
        path,
        ca: endpoint.ca,
        servername: 'localhost',
        headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
