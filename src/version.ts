// snoozebot's version, compiled in so a bundled plugin needs no package.json
// at run time. A unit test keeps it equal to package.json's.
export const VERSION = '0.1.0';
