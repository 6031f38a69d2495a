// Screen case_new (placeholder until built).
import { h, replace } from '../ui.js';

export async function render(main) {
	replace(main, h('h1', {}, 'case_new'));
}
