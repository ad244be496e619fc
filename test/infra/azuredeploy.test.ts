import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUB_TIERS, MAX_UNITS, parseHubScale } from '../../contracts/iotHubQuotas';

/**
 * The ARM template of docs/deploy.md, checked without Azure: the app settings it gives the
 * function app against local.settings.example.json, the hub's routing and consumer group, the
 * tier wiring, and the expressions themselves (parsed, every name they use declared).
 */

interface ArmParameter {
  type: string;
  defaultValue?: unknown;
  allowedValues?: unknown[];
  minValue?: number;
  maxValue?: number;
}
interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  kind?: string;
  sku?: { name: string; capacity?: unknown };
  properties?: Record<string, unknown>;
}
interface ArmTemplate {
  parameters: Record<string, ArmParameter>;
  variables: Record<string, unknown>;
  resources: ArmResource[];
  outputs: Record<string, { type: string; value: string }>;
}
interface Route {
  name: string;
  source: string;
  condition: string;
  endpointNames: string[];
  isEnabled: boolean;
}
interface AppSetting {
  name: string;
  value: string;
}

const root = join(__dirname, '..', '..');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(root, file), 'utf8')) as T;
const template = readJson<ArmTemplate>('infra/azuredeploy.json');
const exampleValues = readJson<{ Values: Record<string, string> }>('local.settings.example.json').Values;

const resourceOfType = (type: string): ArmResource => {
  const found = template.resources.filter((resource) => resource.type.toLowerCase() === type.toLowerCase());
  if (found.length !== 1) throw new Error(`expected one ${type} in the template, found ${found.length}`);
  return found[0];
};
/** The type a child type belongs to: Microsoft.Devices/IotHubs for Microsoft.Devices/IotHubs/IotHubKeys. */
const parentType = (type: string): string => type.split('/').slice(0, -1).join('/');
/** The resource of this type, or of the type it is a child of (a hub's key policies are the hub's). */
const declaredFor = (type: string): ArmResource | undefined =>
  template.resources.find((resource) =>
    [type, parentType(type)].some((candidate) => candidate.toLowerCase() === resource.type.toLowerCase()),
  );
const hub = resourceOfType('Microsoft.Devices/IotHubs');
const site = resourceOfType('Microsoft.Web/sites');
const siteConfig = (site.properties as { siteConfig: { linuxFxVersion: string; appSettings: AppSetting[] } }).siteConfig;
const appSettings = new Map(siteConfig.appSettings.map((setting) => [setting.name, setting.value]));

// ---- ARM template expressions: "[fn('a', x.y)]", parsed into a tree ----

type Expr =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'property'; target: Expr; name: string }
  | { kind: 'index'; target: Expr; index: Expr };

/** Parses one expression string; throws naming the position of a syntax error. */
function parseExpression(text: string): Expr {
  const source = text.slice(1, -1);
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at ${at} in ${text}`);
  };
  const skipSpace = () => {
    while (/\s/.test(source[at] ?? '')) at++;
  };
  const expect = (char: string) => {
    skipSpace();
    if (source[at] !== char) fail(`expected '${char}'`);
    at++;
  };
  const primary = (): Expr => {
    skipSpace();
    if (source[at] === "'") {
      let value = '';
      for (at++; ; at++) {
        if (at >= source.length) fail('unterminated string');
        if (source[at] === "'") {
          if (source[at + 1] !== "'") break;
          at++;
        }
        value += source[at];
      }
      at++;
      return { kind: 'string', value };
    }
    const number = /^-?\d+/.exec(source.slice(at));
    if (number) {
      at += number[0].length;
      return { kind: 'number', value: Number(number[0]) };
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(at))?.[0] ?? fail('expected a function name');
    at += name.length;
    expect('(');
    const args: Expr[] = [];
    skipSpace();
    if (source[at] === ')') at++;
    else {
      for (;;) {
        args.push(expression());
        skipSpace();
        if (source[at] === ',') at++;
        else if (source[at] === ')') break;
        else fail("expected ',' or ')'");
      }
      at++;
    }
    return { kind: 'call', name, args };
  };
  const expression = (): Expr => {
    let node = primary();
    for (;;) {
      skipSpace();
      if (source[at] === '.') {
        at++;
        const name = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(at))?.[0] ?? fail('expected a property name');
        at += name.length;
        node = { kind: 'property', target: node, name };
      } else if (source[at] === '[') {
        at++;
        const index = expression();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const tree = expression();
  skipSpace();
  if (at !== source.length) fail('unexpected text');
  return tree;
}

/** A template string that is an expression ("[[" escapes a literal bracket). */
const isExpression = (value: string): boolean => value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');

/** Every expression anywhere in a JSON value, keys included. */
function expressionsIn(node: unknown): string[] {
  if (typeof node === 'string') return isExpression(node) ? [node] : [];
  if (Array.isArray(node)) return node.flatMap(expressionsIn);
  if (node !== null && typeof node === 'object') {
    return Object.entries(node).flatMap(([key, value]) => [...expressionsIn(key), ...expressionsIn(value)]);
  }
  return [];
}

function callsIn(node: Expr): Extract<Expr, { kind: 'call' }>[] {
  switch (node.kind) {
    case 'call':
      return [node, ...node.args.flatMap(callsIn)];
    case 'property':
      return callsIn(node.target);
    case 'index':
      return [...callsIn(node.target), ...callsIn(node.index)];
    default:
      return [];
  }
}

const allCalls = expressionsIn(template).flatMap((text) => callsIn(parseExpression(text)).map((call) => ({ text, call })));
const callsNamed = (name: string) => allCalls.filter(({ call }) => call.name.toLowerCase() === name.toLowerCase());
const stringArg = (expr: Expr | undefined, where: string): string => {
  if (expr?.kind !== 'string') throw new Error(`${where}: expected a string literal`);
  return expr.value;
};

/**
 * Evaluates what can be known before deployment: literals, parameters (their defaults, or
 * `parameterValues`), variables, format, string, toLower. What only Azure knows (uniqueString,
 * resourceGroup, reference, listKeys …) stays as text naming the call and its evaluated arguments,
 * e.g. `<listKeys(<resourceId(Microsoft.Storage/storageAccounts,name)>,2023-05-01)>.keys[0].value`.
 */
function evaluate(value: unknown, parameterValues: Record<string, unknown> = {}): unknown {
  if (typeof value !== 'string' || !isExpression(value)) return value;
  const run = (node: Expr): unknown => {
    switch (node.kind) {
      case 'string':
      case 'number':
        return node.value;
      case 'property':
        return `${String(run(node.target))}.${node.name}`;
      case 'index':
        return `${String(run(node.target))}[${String(run(node.index))}]`;
      case 'call': {
        const args = node.args.map(run);
        switch (node.name.toLowerCase()) {
          case 'parameters': {
            const name = String(args[0]);
            if (name in parameterValues) return parameterValues[name];
            return evaluate(template.parameters[name]?.defaultValue, parameterValues);
          }
          case 'variables':
            return evaluate(template.variables[String(args[0])], parameterValues);
          case 'format':
            return String(args[0]).replace(/\{(\d+)\}/g, (_, n: string) => String(args[Number(n) + 1]));
          case 'string':
            return String(args[0]);
          case 'tolower':
            return String(args[0]).toLowerCase();
          default:
            return `<${node.name}(${args.map(String).join(',')})>`;
        }
      }
    }
  };
  return run(parseExpression(value));
}

describe('infra/azuredeploy.json', () => {
  test('gives the function app every setting of local.settings.example.json', () => {
    const missing = Object.keys(exampleValues).filter((name) => !appSettings.has(name));
    expect(missing).toEqual([]);
    expect(appSettings.size).toBe(siteConfig.appSettings.length); // no setting given twice
  });

  test('sets no IOTHUB_ or FLEETWAVE_ setting that local.settings.example.json does not explain', () => {
    const unexplained = [...appSettings.keys()].filter((name) => /^(IOTHUB|FLEETWAVE)_/.test(name) && !(name in exampleValues));
    expect(unexplained).toEqual([]);
  });

  test('runs the app on Linux, Node.js 20 (or 22 when asked), Functions v4', () => {
    expect(site.kind?.split(',')).toEqual(expect.arrayContaining(['functionapp', 'linux']));
    expect(evaluate(siteConfig.linuxFxVersion)).toBe('Node|20');
    expect(evaluate(siteConfig.linuxFxVersion, { nodeVersion: '22' })).toBe('Node|22');
    expect(appSettings.get('FUNCTIONS_EXTENSION_VERSION')).toBe('~4');
    expect(appSettings.get('FUNCTIONS_WORKER_RUNTIME')).toBe(exampleValues.FUNCTIONS_WORKER_RUNTIME);
    expect(appSettings.get('FLEETWAVE_ALLOW_INSECURE_FIRMWARE_URI')).toBe('false');
  });

  test('routes twin change events to the built-in endpoint and keeps telemetry on it through the fallback route', () => {
    const routing = hub.properties?.routing as { routes: Route[]; fallbackRoute: Route };
    const twinRoutes = routing.routes.filter((route) => route.source === 'TwinChangeEvents');
    expect(twinRoutes).toEqual([expect.objectContaining({ endpointNames: ['events'], isEnabled: true, condition: 'true' })]);
    expect(routing.fallbackRoute).toEqual(
      expect.objectContaining({ source: 'DeviceMessages', endpointNames: ['events'], isEnabled: true }),
    );
  });

  test('creates the consumer group the twinChanges trigger reads, on the built-in endpoint of this hub', () => {
    const consumerGroup = resourceOfType('Microsoft.Devices/IotHubs/eventHubEndpoints/ConsumerGroups');
    const wanted = exampleValues.IOTHUB_EVENTS_CONSUMER_GROUP;
    expect(evaluate(appSettings.get('IOTHUB_EVENTS_CONSUMER_GROUP'))).toBe(wanted);
    expect(evaluate(consumerGroup.properties?.name)).toBe(wanted);
    expect(String(evaluate(consumerGroup.name)).split('/')).toEqual([evaluate(hub.name), 'events', wanted]);
  });

  test('connects the app to the hub it creates, with a policy that grants registry read and service connect and nothing more', () => {
    const hubName = String(evaluate(hub.name));
    const policy = /SharedAccessKeyName=([^;]+)/.exec(String(evaluate(appSettings.get('IOTHUB_CONNECTION_STRING'))))?.[1];
    const policies = hub.properties?.authorizationPolicies as { keyName: string; rights: string }[];
    const rights = policies.find((declared) => evaluate(declared.keyName) === policy)?.rights.split(/,\s*/);
    expect(rights?.sort()).toEqual(['RegistryRead', 'ServiceConnect']);

    const hubProperties = `<reference(<resourceId(Microsoft.Devices/IotHubs,${hubName})>,${hub.apiVersion})>`;
    const key = `<listKeys(<resourceId(Microsoft.Devices/IotHubs/IotHubKeys,${hubName},${policy})>,${hub.apiVersion})>.primaryKey`;
    const builtIn = `${hubProperties}.eventHubEndpoints.events`;
    expect(evaluate(appSettings.get('IOTHUB_CONNECTION_STRING'))).toBe(
      `HostName=${hubProperties}.hostName;SharedAccessKeyName=${policy};SharedAccessKey=${key}`,
    );
    expect(evaluate(appSettings.get('IOTHUB_EVENTS_CONNECTION'))).toBe(
      `Endpoint=${builtIn}.endpoint;SharedAccessKeyName=${policy};SharedAccessKey=${key};EntityPath=${builtIn}.path`,
    );
    expect(evaluate(appSettings.get('IOTHUB_EVENTS_NAME'))).toBe(`${builtIn}.path`);
  });

  test('gives the Functions host the storage account and Application Insights it creates', () => {
    const storage = resourceOfType('Microsoft.Storage/storageAccounts');
    const account = String(evaluate(storage.name));
    const key = `<listKeys(<resourceId(Microsoft.Storage/storageAccounts,${account})>,${storage.apiVersion})>.keys[0].value`;
    expect(evaluate(appSettings.get('AzureWebJobsStorage'))).toBe(
      `DefaultEndpointsProtocol=https;AccountName=${account};AccountKey=${key};EndpointSuffix=<environment()>.suffixes.storage`,
    );
    expect(storage.properties).toEqual(
      expect.objectContaining({ supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false }),
    );
    const insights = resourceOfType('Microsoft.Insights/components');
    expect(evaluate(appSettings.get('APPLICATIONINSIGHTS_CONNECTION_STRING'))).toBe(
      `<reference(<resourceId(Microsoft.Insights/components,${String(evaluate(insights.name))})>,${insights.apiVersion})>.ConnectionString`,
    );
  });

  test('offers exactly the tiers of contracts/iotHubQuotas.ts, and as many units as the largest allows', () => {
    expect(template.parameters.hubSku.allowedValues).toEqual([...HUB_TIERS]);
    expect(template.parameters.hubUnits.maxValue).toBe(Math.max(...Object.values(MAX_UNITS)));
    const defaults = parseHubScale(String(evaluate(hub.sku?.name)), Number(evaluate(hub.sku?.capacity)));
    expect(defaults).toEqual({ tier: template.parameters.hubSku.defaultValue, units: template.parameters.hubUnits.defaultValue });
  });

  test('tells the app the tier and units of the hub it creates', () => {
    for (const [hubSku, hubUnits] of HUB_TIERS.map((tier) => [tier, MAX_UNITS[tier]] as const)) {
      expect(evaluate(hub.sku?.name, { hubSku })).toBe(hubSku);
      expect(evaluate(appSettings.get('FLEETWAVE_HUB_TIER'), { hubSku })).toBe(hubSku);
      expect(evaluate(hub.sku?.capacity, { hubUnits })).toBe(hubUnits);
      expect(evaluate(appSettings.get('FLEETWAVE_HUB_UNITS'), { hubUnits })).toBe(String(hubUnits));
    }
  });

  test('outputs the names docs/deploy.md uses', () => {
    expect(evaluate(template.outputs.functionAppName.value)).toBe(evaluate(site.name));
    expect(evaluate(template.outputs.hubName.value)).toBe(evaluate(hub.name));
    expect(template.outputs.functionAppHostName.value).toContain('.defaultHostName');
  });

  test('every expression parses and names only declared parameters and variables', () => {
    expect(allCalls.length).toBeGreaterThan(0);
    const undeclared = [
      ...callsNamed('parameters')
        .map(({ call }) => stringArg(call.args[0], 'parameters()'))
        .filter((name) => !(name in template.parameters)),
      ...callsNamed('variables')
        .map(({ call }) => stringArg(call.args[0], 'variables()'))
        .filter((name) => !(name in template.variables)),
    ];
    expect(undeclared).toEqual([]);
  });

  test('every resourceId names a resource type the template declares (or a child of one), with a name per type segment', () => {
    const problems = callsNamed('resourceId').flatMap(({ call }) => {
      const type = stringArg(call.args[0], 'resourceId()');
      const segments = type.split('/').length - 1;
      return [
        ...(declaredFor(type) ? [] : [`${type} is not declared`]),
        ...(call.args.length - 1 === segments ? [] : [`${type} takes ${segments} names, given ${call.args.length - 1}`]),
      ];
    });
    expect(problems).toEqual([]);
  });

  test('every reference and listKeys reads a resource of the template with the API version it is declared with', () => {
    const apiVersionOf = (type: string): string | undefined => declaredFor(type)?.apiVersion;
    const reads = [...callsNamed('reference'), ...callsNamed('listKeys')];
    expect(reads.length).toBeGreaterThan(0);
    const problems = reads.flatMap(({ call }) => {
      const [target, version] = call.args;
      if (target?.kind !== 'call' || target.name !== 'resourceId') return [`${call.name} of something else than a resourceId`];
      const type = stringArg(target.args[0], 'resourceId()');
      const apiVersion = stringArg(version, `${call.name}(${type})`);
      return apiVersion === apiVersionOf(type) ? [] : [`${call.name}(${type}) with ${apiVersion}, declared with ${apiVersionOf(type)}`];
    });
    expect(problems).toEqual([]);
  });

  test('the example parameters file sets declared parameters to values they allow', () => {
    const example = readJson<{ parameters: Record<string, { value: unknown }> }>('infra/azuredeploy.parameters.example.json').parameters;
    const problems = Object.entries(example).flatMap(([name, { value }]) => {
      const declared = template.parameters[name];
      if (!declared) return [`${name} is not a parameter`];
      if (declared.allowedValues && !declared.allowedValues.includes(value)) return [`${name}: ${String(value)} is not allowed`];
      const number = Number(value);
      if (
        (declared.minValue !== undefined && number < declared.minValue) ||
        (declared.maxValue !== undefined && number > declared.maxValue)
      )
        return [`${name}: ${String(value)} is out of range`];
      return [];
    });
    expect(problems).toEqual([]);
  });
});
