/** Entry of the relay bundle (dist/electron/bot-relay.cjs, built by scripts/build.mjs). */
import { relayMain } from './relay.js';

relayMain();
