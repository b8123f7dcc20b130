process.env.TEST_BACKEND = 'postgres';
