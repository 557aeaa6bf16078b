import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { watchSystemTheme } from './lib/theme';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

watchSystemTheme();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
