/** What the host needs from an Event Hubs connection string. */
export interface EventHubConnection {
  connectionString: string;
  /** The namespace host (with port, for emulators), e.g. ns.servicebus.windows.net. */
  fullyQualifiedNamespace: string;
  /** EntityPath, when the connection string names the event hub (it then wins over the binding's). */
  entityPath?: string;
}

export function parseEventHubConnection(connectionString: string): EventHubConnection {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const endpoint = parts.get('endpoint');
  if (!endpoint) throw new Error('the Event Hubs connection string has no Endpoint.');
  const host = endpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const entityPath = parts.get('entitypath');
  return { connectionString, fullyQualifiedNamespace: host, ...(entityPath ? { entityPath } : {}) };
}
