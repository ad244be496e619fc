import { z } from 'zod';
import { IotHubErrorFactory } from '../../errors/IotHubErrorFactory';
import type { Route } from '../serviceContext';

/** IoT Hub's limits for direct method timeouts. */
const invocationSchema = z.object({
  methodName: z.string().min(1).max(100),
  payload: z.unknown().optional(),
  responseTimeoutInSeconds: z.number().int().min(5).max(300).default(30),
  connectTimeoutInSeconds: z.number().int().min(0).max(300).default(0),
});

/** Direct methods: POST /twins/{id}/methods. */
export const methodRoutes: Route[] = [
  {
    method: 'POST',
    path: '/twins/{id}/methods',
    anyOf: ['ServiceConnect'],
    style: 'nested',
    operation: 'directMethods',
    meteredBytes: ({ body }) => Buffer.byteLength(JSON.stringify((body as { payload?: unknown } | undefined)?.payload ?? null)),
    async handle({ params, body, services }) {
      const parsed = invocationSchema.safeParse(body);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
        throw IotHubErrorFactory.argumentInvalid(`Invalid method invocation: ${problems.join('; ')}`, 'nested');
      }
      services.registry.require(params.id, 'nested');
      const { methodName, payload, responseTimeoutInSeconds, connectTimeoutInSeconds } = parsed.data;
      const result = await services.methods.invoke(params.id, { methodName, payload, responseTimeoutInSeconds, connectTimeoutInSeconds });
      return { status: 200, body: result };
    },
  },
];
