// Pages behind sign-in. After a reload the access token is gone (it lives in memory only), so a
// stored refresh token is exchanged first; only when that fails does the login page appear, and
// it returns to the page that was asked for.
import { useEffect, useState, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useSession } from '../api/context';

export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  const [restoring, setRestoring] = useState(!session.signedIn && session.canRestore);

  useEffect(() => {
    if (!restoring) return;
    void session.refresh().finally(() => setRestoring(false));
  }, [restoring, session]);

  if (session.signedIn) return <>{children}</>;
  if (restoring) return <div className="splash" role="status">Restoring your session…</div>;
  const next = location.pathname + location.search;
  return <Navigate to={`/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
}
