jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

/**
 * logEvent with Application Insights on: the envelopes the applicationinsights package posts, as a
 * local HTTPS server in the role of the ingestion endpoint receives them (the exporter turns an
 * http:// IngestionEndpoint into https://, so the server has a certificate from a local CA).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InvocationContext } from '@azure/functions';
import { logEvent, logLine } from '../../../functions/src/logging';
import type { LogLevel } from '../../../functions/src/logging';
import { APPLICATIONINSIGHTS_CONNECTION_STRING } from '../../../functions/src/settings';
import { flushAppInsights, startAppInsights, stopAppInsights } from '../../../functions/src/telemetry/appInsights';
import { listen } from '../../../local/hub/listen';
import { ensureCertificates } from '../../../local/hub/tls/certificates';

/** What the exporter posts to <IngestionEndpoint>/v2.1/track for one trace. */
interface Envelope {
  name: string;
  iKey: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: { message: string; severityLevel: string; properties: Record<string, string> } };
}

const IKEY = '00000000-0000-0000-0000-000000000000';
const tlsDir = mkdtempSync(join(tmpdir(), 'fleetwave-ai-tls-'));
const envelopes: Envelope[] = [];
const paths: string[] = [];
let server: https.Server;
let connectionString: string;
let ca: string;

/** A JSON array, or one JSON object per line; gzip'd or not. */
function parseTrack(body: Buffer, encoding: string | undefined): Envelope[] {
  const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8').trim();
  if (text.startsWith('[')) return JSON.parse(text) as Envelope[];
  return text.split('\n').map((line) => JSON.parse(line) as Envelope);
}

beforeAll(async () => {
  // Microsoft's own SDK statistics go to Microsoft's endpoints and the Azure metadata service: not here.
  process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
  process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED = 'true';
  const certificates = await ensureCertificates(tlsDir, '127.0.0.1');
  ca = certificates.caCert;
  server = https.createServer({ cert: certificates.serverCert, key: certificates.serverKey }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url}`);
      const received = parseTrack(Buffer.concat(chunks), req.headers['content-encoding']);
      envelopes.push(...received);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: received.length, itemsAccepted: received.length, errors: [] }));
    });
  });
  const port = await listen(server, '127.0.0.1', 0);
  connectionString = `InstrumentationKey=${IKEY};IngestionEndpoint=http://127.0.0.1:${port}/`;
});

afterEach(async () => {
  await stopAppInsights();
  delete process.env[APPLICATIONINSIGHTS_CONNECTION_STRING];
  envelopes.length = 0;
});

afterAll(async () => {
  delete process.env.APPLICATION_INSIGHTS_NO_STATSBEAT;
  delete process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tlsDir, { recursive: true, force: true });
});

function invocation(lines: string[], functionName = 'rolloutBatch', invocationId = 'inv-1'): InvocationContext {
  return new InvocationContext({ functionName, invocationId, logHandler: (level, ...args) => lines.push(`${level}: ${args.join(' ')}`) });
}

function tracesOf(event: string): Envelope[] {
  return envelopes.filter((envelope) => envelope.data.baseType === 'MessageData' && envelope.data.baseData.properties?.event === event);
}

describe('logEvent with Application Insights', () => {
  test('an event becomes one trace: the host line as message, event and fields as custom dimensions', async () => {
    startAppInsights({ connectionString, ca });
    const lines: string[] = [];
    const fields = {
      rolloutId: 'r-1',
      wave: 2,
      batch: 0,
      deviceId: 'dev-7',
      state: 'failed',
      reason: 'firmware update timed out',
      counts: { succeeded: 3, failed: 1 },
      skipped: undefined,
    };
    logEvent(invocation(lines), 'warn', 'device.finished', fields);
    await flushAppInsights();

    expect(lines).toEqual([`warning: ${logLine('device.finished', fields)}`]);
    expect(paths).toContain('POST /v2.1/track');
    const [trace, ...more] = tracesOf('device.finished');
    expect(more).toEqual([]);
    expect(trace.iKey).toBe(IKEY);
    expect(trace.data.baseData.message).toBe(logLine('device.finished', fields));
    expect(trace.data.baseData.severityLevel).toBe('Warning');
    expect(trace.data.baseData.properties).toEqual({
      event: 'device.finished',
      rolloutId: 'r-1',
      wave: '2',
      batch: '0',
      deviceId: 'dev-7',
      state: 'failed',
      reason: 'firmware update timed out',
      counts: '{"succeeded":3,"failed":1}',
      InvocationId: 'inv-1',
    });
    expect(trace.tags['ai.operation.name']).toBe('rolloutBatch');
  });

  test('the severity follows the level', async () => {
    startAppInsights({ connectionString, ca });
    const levels: Record<LogLevel, string> = { debug: 'Verbose', info: 'Information', warn: 'Warning', error: 'Error' };
    for (const level of Object.keys(levels) as LogLevel[]) logEvent(invocation([]), level, `test.${level}`, { rolloutId: 'r-2' });
    await flushAppInsights();

    for (const [level, severity] of Object.entries(levels)) {
      expect(tracesOf(`test.${level}`).map((trace) => trace.data.baseData.severityLevel)).toEqual([severity]);
    }
  });

  test('a connection string the exporter cannot read is reported once, naming the setting; logging goes on', async () => {
    process.env[APPLICATIONINSIGHTS_CONNECTION_STRING] = 'InstrumentationKey=not-a-key;IngestionEndpoint=https://127.0.0.1:1/';
    const lines: string[] = [];
    logEvent(invocation(lines), 'info', 'rollout.planned', { rolloutId: 'r-3' });
    logEvent(invocation(lines), 'info', 'rollout.finished', { rolloutId: 'r-3' });

    expect(lines).toEqual([
      'information: rollout.planned {"rolloutId":"r-3"}',
      expect.stringMatching(
        /^error: Application Insights traces are off: The app setting APPLICATIONINSIGHTS_CONNECTION_STRING is invalid: it needs Instr/,
      ),
      'information: rollout.finished {"rolloutId":"r-3"}',
    ]);
  });

  test('without the setting the package is not even loaded', () => {
    jest.isolateModules(() => {
      jest.doMock('applicationinsights', () => {
        throw new Error('applicationinsights was loaded');
      });
      const isolated = require('../../../functions/src/logging') as typeof import('../../../functions/src/logging');
      const lines: string[] = [];
      isolated.logEvent(invocation(lines), 'error', 'wave.batchFailed', { rolloutId: 'r-4', wave: 0, batch: 1 });
      expect(lines).toEqual(['error: wave.batchFailed {"rolloutId":"r-4","wave":0,"batch":1}']);
    });
  });
});
