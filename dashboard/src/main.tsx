import { render } from 'preact';
import { ApiClient } from './api/apiClient';
import { ApiContext } from './api/apiContext';
import { apiBase, takeFunctionKey } from './api/functionKey';
import { App } from './App';
import './main.css';

const client = new ApiClient(apiBase(), takeFunctionKey());
const root = document.getElementById('app')!;
// Render replaces nothing by itself: the page's "Loading…" placeholder goes first.
root.replaceChildren();
render(
  <ApiContext.Provider value={client}>
    <App />
  </ApiContext.Provider>,
  root,
);
