/**
 * The ceiling: plain Apollo Server 5 on its standalone HTTP server, the same schema shape as the
 * product, no auth, resolvers returning a constant user. See child.mjs for the protocol.
 *
 *   node bench/plain-apollo.mjs
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { serveBenchmarked } from './child.mjs';

const typeDefs = `#graphql
  type User {
    id: ID!
    username: String!
    role: Role!
    isActive: Boolean!
    createdAt: String!
  }
  enum Role {
    USER
    ADMIN
  }
  type Query {
    me: User!
    publicMessage: String!
  }
`;

const user = {
  id: '00000000-0000-4000-8000-000000000000',
  username: 'bench-admin',
  role: 'ADMIN',
  isActive: true,
  createdAt: new Date(0).toISOString(),
};
const resolvers = { Query: { me: () => user, publicMessage: () => 'Hello.' } };

const server = new ApolloServer({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
serveBenchmarked(Number(new URL(url).port), () => server.stop());
