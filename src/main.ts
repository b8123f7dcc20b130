/** `npm start`: the standalone server, the app that brings nothing of its own. */
import { runServer } from './run';

runServer();
