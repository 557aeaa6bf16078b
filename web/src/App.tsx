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
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </ServicesProvider>
  );
}
