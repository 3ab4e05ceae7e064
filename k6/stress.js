// k6 stress suite: the user journey (API + live Socket.IO) under the 'stress' load shape of slo.json.
import { optionsFor } from './lib/config.js';
import { userJourney } from './lib/scenario.js';

export const options = optionsFor('stress');

export default function () {
  userJourney();
}
