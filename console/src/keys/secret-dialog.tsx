import { useId, useState } from 'preact/hooks';
import { CopyButton } from '../ui/copy';
import { Dialog } from '../ui/dialog';

type Props = {
  /** The key just made or rotated; its secret lives only in this component's props (memory). */
  created: { id: string; org_id: string; name: string; secret: string };
  onDone: () => void;
};

/**
 * The secret, shown this once: a Copy button, the warning, the three values an SDK reads, and a guard
 * before closing (the person confirms they stored it). Nothing here is written to storage or the URL.
 */
export function SecretDialog({ created, onDone }: Props) {
  const [stored, setStored] = useState(false);
  const [asked, setAsked] = useState(false);
  const labelId = useId();
  const env = `SCOPE_ORG_ID=${created.org_id}\nSCOPE_API_KEY=${created.id}\nSCOPE_API_SECRET=${created.secret}\n`;
  const close = () => {
    if (stored) onDone();
    else setAsked(true);
  };
  return (
    <Dialog title={`Your new key: ${created.name}`} open onClose={close}>
      <p class="warning" role="note">
        This is the only time the secret is shown. Copy it now and keep it somewhere safe; it cannot be shown again.
      </p>
      <div class="secret">
        <span id={labelId} class="secret-label">
          Secret
        </span>
        <code aria-labelledby={labelId} class="secret-value">
          {created.secret}
        </code>
        <CopyButton value={created.secret} label="Copy" />
      </div>
      <p>
        Key ID: <code>{created.id}</code>
      </p>
      <details>
        <summary>Environment variables for the SDK</summary>
        <pre class="snippet">{env}</pre>
        <CopyButton value={env} label="Copy environment variables" />
      </details>
      <label class="check">
        <input type="checkbox" checked={stored} onChange={(e) => setStored(e.currentTarget.checked)} /> I have stored it safely
      </label>
      {asked && !stored && (
        <p class="error" role="alert">
          Tick the box once you have stored it: after closing, nobody can show it again.
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={close}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
