// azure-iothub from inside the app: the host's preload lets it reach a hub on a non-443 port.
const { app } = require('@azure/functions');
const { Registry } = require('azure-iothub');

app.get('deviceStatus', {
  route: 'devices/{deviceId}',
  handler: async (request) => {
    const registry = Registry.fromConnectionString(process.env.IOTHUB_CONNECTION_STRING);
    const { responseBody } = await registry.get(request.params.deviceId);
    return { jsonBody: { deviceId: responseBody.deviceId, status: responseBody.status } };
  },
});
