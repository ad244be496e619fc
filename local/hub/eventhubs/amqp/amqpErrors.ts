/**
 * The AMQP error conditions Event Hubs uses, worded like the service. @azure/core-amqp maps each
 * condition to the error class users catch (MessagingEntityNotFoundError, UnauthorizedError, …).
 */
export interface AmqpError {
  condition: string;
  description: string;
}

export const AmqpErrors = {
  unauthorized: (reason: string): AmqpError => ({ condition: 'amqp:unauthorized-access', description: `Unauthorized access. ${reason}` }),
  entityNotFound: (what: string, name: string, address: string): AmqpError => ({
    condition: 'amqp:not-found',
    description: `The messaging entity '${address}' could not be found: no ${what} named '${name}'.`,
  }),
  invalidFilter: (filter: string, reason: string): AmqpError => ({
    condition: 'com.microsoft:argument-error',
    description: `The event position filter "${filter}" is invalid: ${reason}`,
  }),
  positionOutOfRange: (what: string, value: string, last: number): AmqpError => ({
    condition: 'com.microsoft:argument-out-of-range',
    description: `The supplied ${what} '${value}' is invalid. The last sequence number in the system is '${last}'.`,
  }),
  epochStolen: (newEpoch: number | undefined, oldEpoch: number | undefined): AmqpError => ({
    condition: 'amqp:link:stolen',
    description: `New receiver with higher epoch of '${newEpoch ?? 'none'}' is created hence current receiver with epoch '${oldEpoch ?? 'none'}' is getting disconnected.`,
  }),
  epochTooLow: (epoch: number | undefined, current: number): AmqpError => ({
    condition: 'amqp:link:stolen',
    description: `Receiver with epoch '${epoch ?? 'none'}' cannot be created because a receiver with a higher epoch '${current}' already exists.`,
  }),
  tooManyReaders: (max: number): AmqpError => ({
    condition: 'amqp:resource-limit-exceeded',
    description: `Exceeded the maximum number of allowed receivers per partition in a consumer group which is ${max}.`,
  }),
  notImplemented: (what: string): AmqpError => ({
    condition: 'amqp:not-implemented',
    description: `${what} is not supported by this endpoint.`,
  }),
} as const;
