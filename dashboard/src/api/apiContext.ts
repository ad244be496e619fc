import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './apiClient';

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const client = useContext(ApiContext);
  if (client === null) throw new Error('useApi outside <ApiContext.Provider>');
  return client;
}
