import type { ReactNode } from 'react';
import Markdown, { type Components } from 'react-markdown';

/**
 * Markdown rendered without any HTML: raw HTML in the source (`<script>`, `<img onerror>`, `<iframe>`)
 * is dropped, not rendered; links are checked: http(s) and mailto open outside the app, `#/page` links
 * stay inside it, `runbook:<id>` points at another runbook, and anything else (javascript:, data:,
 * file:) becomes plain text.
 */
export function safeUrl(url: string, runbookHref: (id: string) => string): string | null {
  const u = url.trim();
  const runbook = /^runbook:([a-z0-9][a-z0-9-]{0,99})$/.exec(u);
  if (runbook) return runbookHref(runbook[1] as string);
  if (/^#\/[\w/?=&:.%-]*$/.test(u)) return u;
  if (/^(https?:\/\/|mailto:)/i.test(u)) return u;
  return null;
}

export function SafeMarkdown({
  markdown,
  runbookHref,
  listItem,
}: {
  markdown: string;
  runbookHref: (id: string) => string;
  /** Lets the caller render a list item (by its source line) differently: runbook steps get a tick. */
  listItem?: (line: number | undefined, children: ReactNode) => ReactNode | undefined;
}) {
  const components: Components = {
    a({ href, children }) {
      const safe = href ? safeUrl(href, runbookHref) : null;
      if (safe === null) return <span data-unsafe-link={href ?? ''}>{children}</span>;
      const external = /^(https?:|mailto:)/i.test(safe);
      return (
        <a href={safe} {...(external ? { target: '_blank', rel: 'noopener noreferrer' } : {})}>
          {children}
        </a>
      );
    },
    img({ alt }) {
      // No remote images in a runbook: the alt text only.
      return <span>{alt}</span>;
    },
    li({ node, children }) {
      const custom = listItem?.(node?.position?.start.line, children);
      return custom === undefined ? <li>{children}</li> : custom;
    },
  };
  return (
    <div className="markdown" data-testid="markdown">
      <Markdown skipHtml components={components} urlTransform={(url) => url}>
        {markdown}
      </Markdown>
    </div>
  );
}
