export * from './auth-client';
export * from './generated/graphql';
