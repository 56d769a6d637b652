// The entry point of the bundle that bin/mytoken loads.
import { run } from './main.js';

run();
