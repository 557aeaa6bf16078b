// Users & access: one page with a tab per concern, each its own URL (/admin/users, /admin/api-keys,
// /admin/audit, /admin/tenants, /account). Tabs a role may not use are not shown; their URLs
// answer with a plain "not allowed" rather than a page of 403s.
import type { ComponentType } from 'react';
import { NavLink, useParams } from 'react-router-dom';
import { useSession } from '../api/context';
import type { Permission } from '../lib/permissions';
import { UsersPanel } from './UsersPanel';
import { ApiKeysPanel } from './ApiKeysPanel';
import { AuditPanel } from './AuditPanel';
import { TenantsPanel } from './TenantsPanel';
import { AccountPanel } from './AccountPanel';

const TABS: { id: string; label: string; needs: Permission | null; panel: ComponentType }[] = [
  { id: 'users', label: 'Users', needs: 'users:manage', panel: UsersPanel },
  { id: 'api-keys', label: 'API keys', needs: 'users:manage', panel: ApiKeysPanel },
  { id: 'audit', label: 'Audit log', needs: 'audit:read', panel: AuditPanel },
  { id: 'tenants', label: 'Tenants', needs: 'tenants:manage', panel: TenantsPanel },
  { id: 'account', label: 'My account', needs: null, panel: AccountPanel },
];

export function AdminPage({ tab: fixedTab }: { tab?: string }) {
  const session = useSession();
  const params = useParams();
  const tabId = fixedTab ?? params.tab ?? 'users';
  const visible = TABS.filter((t) => t.needs === null || session.can(t.needs));
  const tab = TABS.find((t) => t.id === tabId);
  const allowed = tab && (tab.needs === null || session.can(tab.needs));
  return (
    <section className="page">
      <div className="page-head">
        <h1>Users & access</h1>
      </div>
      <nav className="tabs" aria-label="Users and access">
        {visible.map((t) => (
          <NavLink key={t.id} to={t.id === 'account' ? '/account' : `/admin/${t.id}`}>
            {t.label}
          </NavLink>
        ))}
      </nav>
      {!tab ? (
        <p className="muted">No such page.</p>
      ) : !allowed ? (
        <p className="form-error" role="alert">
          Your role ({session.role ?? 'none'}) may not see this page.
        </p>
      ) : (
        <tab.panel />
      )}
    </section>
  );
}
