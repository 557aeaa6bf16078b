// The frame around every signed-in page: navigation, live-connection state, theme, sign-out.
import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { useLiveState, useSession } from '../api/context';
import { ThemeToggle } from './ThemeToggle';

const LIVE_LABELS = { live: 'Live', connecting: 'Connecting…', offline: 'Offline', idle: '' } as const;

export function Layout() {
  const session = useSession();
  const liveState = useLiveState();
  const navigate = useNavigate();
  return (
    <div className="shell">
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="Vigil home">
          <span className="brand-mark" aria-hidden="true" />
          Vigil
        </NavLink>
        <nav aria-label="Main" className="mainnav">
          <NavLink to="/" end>
            Fleet
          </NavLink>
          <NavLink to="/alarms">Alarms</NavLink>
          <NavLink to="/dashboards">Dashboards</NavLink>
          <NavLink to="/rules">Rules</NavLink>
          <NavLink to="/notifications">Notifications</NavLink>
          {session.can('users:manage') ? <NavLink to="/admin">Users</NavLink> : <NavLink to="/account">Account</NavLink>}
          <a href="/api/docs" target="_blank" rel="noreferrer">
            API
          </a>
        </nav>
        <div className="topbar-right">
          {liveState !== 'idle' && (
            <span className={`live-dot live-${liveState}`} title="Live updates">
              {LIVE_LABELS[liveState]}
            </span>
          )}
          <ThemeToggle />
          <span className="user" title={session.role ?? undefined}>
            {session.email ?? 'signed in'}
          </span>
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => {
              session.logout();
              navigate('/login');
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main className="content" id="main">
        <Outlet />
      </main>
    </div>
  );
}
