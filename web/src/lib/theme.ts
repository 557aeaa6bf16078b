// Light, dark or the system's choice (prefers-color-scheme). The choice is kept in localStorage and
// applied as data-theme on <html>; CSS does the rest. Charts listen for THEME_EVENT to redraw.
export type ThemeChoice = 'system' | 'light' | 'dark';
const STORAGE_KEY = 'vigil.theme';
export const THEME_EVENT = 'vigil-theme';

export function storedTheme(): ThemeChoice {
  const v = localStorage.getItem(STORAGE_KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function effectiveTheme(choice: ThemeChoice = storedTheme()): 'light' | 'dark' {
  if (choice !== 'system') return choice;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === 'system') localStorage.removeItem(STORAGE_KEY);
  else localStorage.setItem(STORAGE_KEY, choice);
  document.documentElement.dataset.theme = effectiveTheme(choice);
  window.dispatchEvent(new Event(THEME_EVENT));
}

/** Follows the system when no explicit choice was made. */
export function watchSystemTheme(): void {
  document.documentElement.dataset.theme = effectiveTheme();
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (storedTheme() === 'system') applyTheme('system');
  });
}

/** A CSS custom property's current value, for canvas drawing that cannot use CSS. */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
