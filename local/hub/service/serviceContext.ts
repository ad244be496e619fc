import type { IncomingHttpHeaders } from 'node:http';
import type { ThrottledOperation } from '../../../contracts/iotHubQuotas';
import type { Permission } from '../authentication/accessPolicies';
import type { ErrorBodyStyle } from '../errors/IotHubError';
import type { DirectMethodInvoker } from '../methods/DirectMethodInvoker';
import type { DeviceRegistry } from '../registry/DeviceRegistry';
import type { HubThrottles } from '../throttling/HubThrottles';

/** What handlers get to work with. */
export interface HubServices {
  registry: DeviceRegistry;
  methods: DirectMethodInvoker;
  /** The hub's operation throttles; null when the emulator throttles nothing. */
  throttles: HubThrottles | null;
}

export interface ServiceRequest {
  /** Path parameters, URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  services: HubServices;
}

export interface ServiceResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One row of the service endpoint's dispatch table. */
export interface Route {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  /** Path with `{name}` segments, e.g. /twins/{id}/methods. */
  path: string;
  /** The request is allowed when the policy grants any of these. */
  anyOf: Permission[];
  /** Error body style of this endpoint family. */
  style: ErrorBodyStyle;
  /** The IoT Hub throttle a request counts against, once authenticated; null for the emulator's own routes. */
  operation: ThrottledOperation | null;
  /** Bytes the throttle meters, for operations metered by size; others cost one per request. */
  meteredBytes?(request: ServiceRequest): number;
  handle(request: ServiceRequest): ServiceResponse | Promise<ServiceResponse>;
}
