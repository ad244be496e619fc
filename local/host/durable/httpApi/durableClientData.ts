/** Where the Durable HTTP API lives on the host's port. */
export const DURABLE_API_PATH = '/runtime/webhooks/durabletask';

/** The placeholder durable-functions replaces with an instance id in management URLs. */
const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

/**
 * The durableClient input binding's value (OrchestrationClientInputData), as the Durable extension
 * hands it to the worker, with every URL on this host. rpcBaseUrl ends with '/': the client
 * resolves relative paths against it.
 */
export function durableClientData(baseUrl: string, taskHubName: string): Record<string, unknown> {
  const root = `${baseUrl}${DURABLE_API_PATH}`;
  const hub = `taskHub=${encodeURIComponent(taskHubName)}&connection=Storage`;
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${root}/orchestrators/{functionName}[/{instanceId}]`,
      waitOnNewInstancePostUri: `${root}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}`,
    },
    managementUrls: managementUrls(root, hub, INSTANCE_ID_PLACEHOLDER),
    baseUrl: root,
    requiredQueryStringParameters: hub,
    rpcBaseUrl: `${root}/`,
  };
}

/** The check-status payload for an instance (HttpManagementPayload). */
export function managementUrls(root: string, hubQuery: string, instanceId: string): Record<string, string> {
  const instance = `${root}/instances/${instanceId === INSTANCE_ID_PLACEHOLDER ? instanceId : encodeURIComponent(instanceId)}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${hubQuery}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${hubQuery}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${hubQuery}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${hubQuery}`,
    purgeHistoryDeleteUri: `${instance}?${hubQuery}`,
    restartPostUri: `${instance}/restart?${hubQuery}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${hubQuery}`,
    resumePostUri: `${instance}/resume?reason={text}&${hubQuery}`,
  };
}
