// The asset build loads `.css` imports as their text (scripts/build-assets.ts, ISLANDS).
declare module '*.css' {
  const text: string;
  export default text;
}
