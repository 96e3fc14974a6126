() => {
  // The chat's behaviour in the browser (Gradio runs this once when the page loads):
  // - each new answer is scrolled to its start, not its end (the Chatbot's autoscroll is off);
  // - Copy gives the message as clean text (question, answer, links as addresses), not its markup;
  // - each message's accessible name is its plain text, not the markup Gradio puts there;
  // - a question that reaches the box's limit says so instead of being cut silently.
  const MESSAGES = '#chat [data-testid="bot"], #chat [data-testid="user"]';
  const LIMIT = MAX_INPUT_CHARS;

  // A message's text as a reader sees it: links followed by their address, citation markers and
  // folded source lines left out, list items on their own lines.
  const cleanText = (message) => {
    const copy = message.cloneNode(true);
    copy.querySelectorAll('sup, details, button, svg').forEach((node) => node.remove());
    copy.querySelectorAll('a[href]').forEach((link) => {
      const address = link.getAttribute('href');
      if (address && link.textContent.trim() !== address) link.append(` (${address})`);
    });
    copy.style.position = 'fixed';
    copy.style.left = '-10000px';
    document.body.append(copy);  // innerText needs layout to keep line breaks
    const text = copy.innerText.replace(/\n{3,}/g, '\n\n').trim();
    copy.remove();
    return text;
  };

  // Gradio puts each message's buttons after its row: the row before a button bar is its message.
  const rowBefore = (node) => {
    let row = node?.previousElementSibling;
    while (row && !row.classList.contains('message-row')) row = row.previousElementSibling;
    return row;
  };
  const messageOf = (row) => row?.querySelector('[data-testid="bot"], [data-testid="user"]');

  document.addEventListener('click', async (event) => {
    const button = event.target.closest('#chat button');
    const label = (button?.getAttribute('aria-label') || '').toLowerCase();
    if (!label.startsWith('copy')) return;
    let text;
    if (label.includes('conversation')) {
      text = [...document.querySelectorAll(MESSAGES)].map(cleanText).join('\n\n');
    } else {
      const row = rowBefore(button.closest('.message-buttons'));
      const message = messageOf(row);
      if (!message) return;
      const asked = message.matches('[data-testid="bot"]') ? messageOf(rowBefore(row)) : null;
      text = (asked && asked.matches('[data-testid="user"]') ? `${cleanText(asked)}\n\n` : '') + cleanText(message);
    }
    event.stopImmediatePropagation();
    event.preventDefault();
    await navigator.clipboard.writeText(text);
  }, true);

  // A new answer renders in steps (Markdown, then fonts and layout): bring its start to the top a few
  // times while it settles, unless the reader scrolls first.
  let settling = [];
  const land = (answer) => {
    settling.forEach(clearTimeout);
    const toStart = () => answer.isConnected && answer.scrollIntoView({ block: 'start' });
    toStart();
    settling = [50, 200, 500, 1000].map((delay) => setTimeout(toStart, delay));
  };
  const stopLanding = () => { settling.forEach(clearTimeout); settling = []; };
  ['wheel', 'touchstart', 'keydown'].forEach((kind) => window.addEventListener(kind, stopLanding, true));

  let answers = 0;
  const update = () => {
    document.querySelectorAll(MESSAGES).forEach((message) => {
      const name = message.innerText.trim();
      if (message.getAttribute('aria-label') !== name) message.setAttribute('aria-label', name);
    });
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    if (bots.length > answers) land(bots[bots.length - 1].closest('.message-row') || bots[bots.length - 1]);
    answers = bots.length;

    const box = document.querySelector('#question textarea');
    if (box && !box.dataset.limitWatched) {
      box.dataset.limitWatched = '1';
      const note = document.createElement('div');
      note.id = 'question-too-long';
      note.setAttribute('role', 'status');
      box.closest('#question').after(note);
      box.addEventListener('input', () => {
        note.textContent = box.value.length >= LIMIT
          ? `Your question reached the limit of ${LIMIT.toLocaleString('en')} characters; the rest was not kept.`
          : '';
      });
    }
  };
  new MutationObserver(update).observe(document.body, { childList: true, subtree: true, characterData: true });
  update();
}
