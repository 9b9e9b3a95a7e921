// Runs before every test file. Keeps test output quiet and bcrypt fast, unless overridden.
process.env.LOG_LEVEL ??= 'silent';
