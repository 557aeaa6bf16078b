import { BrowserRouter, Route, Routes } from 'react-router-dom';
import { ServicesProvider } from './api/context';
import { RequireAuth } from './components/RequireAuth';
import { Layout } from './components/Layout';
import { LoginPage } from './pages/LoginPage';
import { FleetPage } from './pages/FleetPage';
import { DevicePage } from './pages/DevicePage';
import { AlarmsPage } from './pages/AlarmsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { DashboardsPage } from './dashboards/DashboardsPage';
import { DashboardPage } from './dashboards/DashboardPage';
import { AdminPage } from './admin/AdminPage';
import { RulesPage } from './rules/RulesPage';
import { RuleEditPage } from './rules/RuleEditPage';
import { NotificationsPage } from './rules/NotificationsPage';

export function App() {
  return (
    <ServicesProvider>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route
            element={
              <RequireAuth>
                <Layout />
              </RequireAuth>
            }
          >
            <Route index element={<FleetPage />} />
            <Route path="devices/:id" element={<DevicePage />} />
            <Route path="alarms" element={<AlarmsPage />} />
            <Route path="dashboards" element={<DashboardsPage />} />
            <Route path="dashboards/:id" element={<DashboardPage />} />
            <Route path="rules" element={<RulesPage />} />
            <Route path="rules/new" element={<RuleEditPage />} />
            <Route path="rules/:id" element={<RuleEditPage />} />
            <Route path="notifications" element={<NotificationsPage />} />
            <Route path="notifications/:tab" element={<NotificationsPage />} />
            <Route path="admin" element={<AdminPage tab="users" />} />
            <Route path="admin/:tab" element={<AdminPage />} />
            <Route path="account" element={<AdminPage tab="account" />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </ServicesProvider>
  );
}
