import { useState } from 'preact/hooks';
import { CreateKeyForm, type Created } from '../keys/create-form';
import { SecretDialog } from '../keys/secret-dialog';
import { navigate } from '../router';
import { Link } from '../ui/link';

/** The create form, then the secret dialog; closing it leads to the new key's page. */
export function KeyNewPage() {
  const [created, setCreated] = useState<Created>();
  return (
    <>
      <p>
        <Link to="/keys">← API keys</Link>
      </p>
      <h1>Create API key</h1>
      {created ? (
        <SecretDialog created={created} onDone={() => navigate(`/keys/${created.id}`, { replace: true })} />
      ) : (
        <CreateKeyForm onCreated={setCreated} />
      )}
    </>
  );
}
