import { useEffect, useState } from 'preact/hooks';
import { hrefs, parseRoute, type Route } from './model/routes';
import { DeviceDetailView } from './views/DeviceDetailView';
import { NewRolloutView } from './views/NewRolloutView';
import { RolloutDetailView } from './views/RolloutDetailView';
import { RolloutListView } from './views/RolloutListView';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHashChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);
  return route;
}

function CurrentView({ route }: { route: Route }) {
  switch (route.view) {
    case 'list':
      return <RolloutListView />;
    case 'new':
      return <NewRolloutView />;
    case 'rollout':
      return <RolloutDetailView key={route.rolloutId} rolloutId={route.rolloutId} />;
    case 'device':
      return <DeviceDetailView key={`${route.rolloutId}/${route.deviceId}`} rolloutId={route.rolloutId} deviceId={route.deviceId} />;
    case 'notFound':
      return (
        <>
          <h1>Not found</h1>
          <p>
            Nothing lives at {route.hash}. <a href={hrefs.list}>See the rollouts.</a>
          </p>
        </>
      );
  }
}

export function App() {
  const route = useRoute();
  useEffect(() => window.scrollTo(0, 0), [route]);
  return (
    <>
      <header class="site-header">
        <a class="brand" href={hrefs.list}>
          fleetwave
        </a>
        <nav aria-label="Main">
          <a href={hrefs.list} aria-current={route.view === 'list' ? 'page' : undefined}>
            Rollouts
          </a>
          <a href={hrefs.new} aria-current={route.view === 'new' ? 'page' : undefined}>
            Start a rollout
          </a>
        </nav>
      </header>
      <main>
        <CurrentView route={route} />
      </main>
    </>
  );
}
