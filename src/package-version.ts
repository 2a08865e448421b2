/** ppg-dev's own version: shown by `ppg --version` and written into instance records. Kept equal to package.json by a test. */
export const PACKAGE_VERSION = '0.1.0';
