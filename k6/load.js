// k6 load suite: the user journey (API + live Socket.IO) under the 'load' load shape of slo.json.
import { optionsFor } from './lib/config.js';
import { userJourney } from './lib/scenario.js';

export const options = optionsFor('load');

export default function () {
  userJourney();
}
