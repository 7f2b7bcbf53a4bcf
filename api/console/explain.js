// What each license error means and how to fix it, after the requirements document's
// "Identify and resolve license assignment problems" section.
import { h } from './ui.js';

export const ERRORS = {
  CountViolation: {
    title: 'Not enough licenses',
    problem: 'There aren\'t enough available licenses for one of the products the group or user ' +
      'is assigned.',
    fix: 'Buy more licenses for the product (raise its seats on the product page), or free up ' +
      'licenses from other users or groups. licensingd processes the users waiting for seats ' +
      'again as soon as seats are added or freed.',
  },
  MutuallyExclusiveViolation: {
    title: 'Service plans that conflict',
    problem: 'A service plan of this product conflicts with a plan the user already has through ' +
      'another product (for example E1 assigned directly and E3 from a group: Exchange Online ' +
      'Plan 1 and Plan 2, SharePoint Online Plan 1 and Plan 2).',
    fix: 'Disable the conflicting plans: in the group\'s license (Edit licenses), or in the ' +
      'license assigned directly to the user; or remove the direct license if the group\'s ' +
      'license makes it redundant. The decision belongs to the administrator: conflicts are never ' +
      'resolved automatically.',
  },
  DependencyViolation: {
    title: 'Other products depend on this license',
    problem: 'A service plan that is being removed is required by a plan of another product the ' +
      'user has.',
    fix: 'Make sure the required plan stays assigned to the user some other way, or disable the ' +
      'dependent services for the user; then the license can be removed.',
  },
  ProhibitedInUsageLocationViolation: {
    title: 'Usage location isn\'t allowed',
    problem: 'A service of this product isn\'t available in the user\'s usage location because of ' +
      'local laws and regulations.',
    fix: 'Remove users in unsupported locations from the licensed group, or, if the user\'s usage ' +
      'location is wrong, correct it: the license is then assigned on the next processing. Users ' +
      'without a usage location inherit the organization\'s.',
  },
  UniquenessViolation: {
    title: 'Duplicate proxy addresses',
    problem: 'Another user already has the proxy address this user\'s mailbox needs ("Proxy ' +
      'address is already being used").',
    fix: 'Resolve the duplicate proxy addresses, then reprocess the user (or the group) so the ' +
      'license is applied.',
  },
  Other: {
    title: 'Other error',
    problem: 'The license could not be assigned for another reason.',
    fix: 'Reprocess the user; if the error remains, look for the user in the audit log.',
  },
};

export const ERROR_CODES = Object.keys(ERRORS);

export function errorTitle(code) {
  return (ERRORS[code] || ERRORS.Other).title;
}

// The code, its title, and the problem and fix behind a disclosure.
export function explain(code) {
  const e = ERRORS[code] || ERRORS.Other;
  return h('details', { class: 'explain' },
    h('summary', null, `${e.title}: how to fix`),
    h('p', null, h('strong', null, 'Problem: '), e.problem),
    h('p', null, h('strong', null, 'Fix: '), e.fix));
}
