import type { Config } from 'tailwindcss';
import colors from 'tailwindcss/colors';

/**
 * Theme extensions for SkyPanel, loaded by `static/css/app.css` through `@config`.
 *
 * Tailwind 4 reads this file with jiti, so TypeScript works. Content sources are declared in
 * app.css with `@source`, so this file only extends the theme. The component layer in
 * app.css is written against `brand-*` and `font-sans`; if this file stopped loading, the
 * build would fail on `@apply bg-brand-700` (unknown utility) instead of silently losing
 * the brand. Views may use `brand-*` utilities directly too.
 */
export default {
  theme: {
    extend: {
      colors: {
        // One place to re-brand a deployment: swap `colors.sky` for any palette.
        brand: colors.sky,
      },
      fontFamily: {
        sans: [
          'Inter',
          'ui-sans-serif',
          'system-ui',
          '-apple-system',
          'Segoe UI',
          'Roboto',
          'Helvetica Neue',
          'Arial',
          'sans-serif',
          'Apple Color Emoji',
          'Segoe UI Emoji',
        ],
        mono: ['JetBrains Mono', 'ui-monospace', 'SFMono-Regular', 'Menlo', 'Consolas', 'monospace'],
      },
    },
  },
} satisfies Config;
