import type { FunctionComponent } from 'preact';
import { AcceptPage } from './pages/accept';
import { AccountPage } from './pages/account';
import { AuditPage } from './pages/audit';
import { KeyDetailPage } from './pages/key-detail';
import { KeysPage } from './pages/keys';
import { KeyNewPage } from './pages/key-new';
import { MembersPage } from './pages/members';
import { ResourcesPage } from './pages/resources';
import { SetupPage } from './pages/setup';
import { SignInPage } from './pages/sign-in';
import { SigningKeysPage } from './pages/signing-keys';

export type PageProps = { params: Record<string, string> };

export type Screen = {
  path: string;
  title: string;
  page: FunctionComponent<PageProps>;
  /** Without a session only public screens show; the rest send the reader to sign in. */
  public?: boolean;
  /** The permission (from /v1/me) a person needs; without it the screen says they lack access. */
  permission?: string;
  /** Its label in the navigation, if it has one. */
  nav?: string;
};

/** Every screen of the console, in navigation order: the one place a URL is given a page. */
export const SCREENS: readonly Screen[] = [
  { path: '/sign-in', title: 'Sign in', page: SignInPage, public: true },
  { path: '/setup', title: 'Set up scope-auth', page: SetupPage, public: true },
  { path: '/accept', title: 'Accept invitation', page: AcceptPage, public: true },
  { path: '/keys', title: 'API keys', page: KeysPage, permission: 'keys:read', nav: 'API keys' },
  { path: '/keys/new', title: 'Create API key', page: KeyNewPage, permission: 'keys:write' },
  { path: '/keys/:id', title: 'API key', page: KeyDetailPage, permission: 'keys:read' },
  { path: '/audit', title: 'Audit log', page: AuditPage, permission: 'audit:read', nav: 'Audit log' },
  { path: '/members', title: 'Members', page: MembersPage, permission: 'members:read', nav: 'Members' },
  { path: '/resources', title: 'Resources', page: ResourcesPage, permission: 'resources:read', nav: 'Resources' },
  { path: '/signing-keys', title: 'Signing keys', page: SigningKeysPage, permission: 'signing_keys:manage', nav: 'Signing keys' },
  { path: '/account', title: 'Account', page: AccountPage, nav: 'Account' },
];
