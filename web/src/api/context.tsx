// React access to the session, its API caller and its live connection.
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { Session } from './session';
import { LiveConnection, type LiveRequest, type LiveState } from '../live/live';

interface Services {
  session: Session;
  live: LiveConnection;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ session, children }: { session?: Session; children: ReactNode }) {
  const [services] = useState<Services>(() => {
    const s = session ?? new Session();
    return { session: s, live: new LiveConnection(s) };
  });
  // Signing out closes the live connection; the next subscription opens a fresh one.
  useEffect(() => services.session.subscribe(() => !services.session.signedIn && services.live.close()), [services]);
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('ServicesProvider missing');
  return s;
}

/** The session; components re-render when it signs in, refreshes or signs out. */
export function useSession(): Session {
  const { session } = useServices();
  useSyncExternalStore(
    (cb) => session.subscribe(cb),
    () => session.token,
  );
  return session;
}

export function useApi() {
  return useServices().session.call;
}

export function useLive(): LiveConnection {
  return useServices().live;
}

export function useLiveState(): LiveState {
  const live = useLive();
  return useSyncExternalStore(
    (cb) => live.onState(cb),
    () => live.state,
  );
}

/** Keeps a live subscription while the component is mounted (none when request is null). */
export function useLiveSubscription(request: LiveRequest | null): void {
  const live = useLive();
  const key = request ? JSON.stringify(request) : null;
  const requestRef = useRef(request);
  requestRef.current = request;
  useEffect(() => (key && requestRef.current ? live.subscribe(requestRef.current) : undefined), [live, key]);
}
