/** Why the buttons beside it are disabled for the signed-in user (`useRefusal`); nothing when
 * they are not. Give it an `id` and the buttons `aria-describedby` it. */
export function Refusal({ why, id }: { why: string | null; id?: string }) {
  if (!why) return null;
  return (
    <p className="muted small" role="note" id={id} data-testid="refusal">
      {why}
    </p>
  );
}
