// The client's version, put in by the bundler from package.json.
declare const __MYTOKEN_VERSION__: string | undefined;

export const VERSION: string = typeof __MYTOKEN_VERSION__ === 'string' ? __MYTOKEN_VERSION__ : '0.0.0-dev';
export const USER_AGENT = `mytoken client ${VERSION} (mytoken-ts)`;
