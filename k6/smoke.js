// k6 smoke suite: the user journey (API + live Socket.IO) under the 'smoke' load shape of slo.json.
import { optionsFor } from './lib/config.js';
import { userJourney } from './lib/scenario.js';

export const options = optionsFor('smoke');

export default function () {
  userJourney();
}
