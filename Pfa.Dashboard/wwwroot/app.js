// Keeps a live console pane pinned to its newest line while Follow is on and the user has not scrolled away from the end.
// The pane is virtualized: after a scroll to the end the lines now in view are rendered with their real height, which moves
// the end again. So the pane re-pins itself on every change of its content (a MutationObserver), not once per batch of lines,
// and only the user's own scrolling (wheel, touch, keys, scrollbar drag) decides whether it stays pinned.
(function () {
    const slack = 40;
    const atEnd = element => element.scrollHeight - element.scrollTop - element.clientHeight < slack;

    window.pfaDashboard = {
        follow: function (element, enabled) {
            if (!element) return;
            let state = element._pfaFollow;
            if (!state) {
                state = element._pfaFollow = { enabled: true, pinned: true, userUntil: 0, dragging: false };
                const user = () => { state.userUntil = Date.now() + 1000; };
                element.addEventListener('wheel', user, { passive: true });
                element.addEventListener('touchmove', user, { passive: true });
                element.addEventListener('keydown', user);
                element.addEventListener('mousedown', () => { state.dragging = true; });
                window.addEventListener('mouseup', () => { state.dragging = false; });
                element.addEventListener('scroll', () => {
                    if (state.dragging || Date.now() < state.userUntil) state.pinned = atEnd(element);
                }, { passive: true });
                new MutationObserver(() => {
                    if (state.enabled && state.pinned && !atEnd(element)) element.scrollTop = element.scrollHeight;
                }).observe(element, { childList: true, subtree: true, characterData: true });
            }
            state.enabled = enabled;
            // Turning Follow on jumps to the newest line.
            if (enabled) {
                state.pinned = true;
                element.scrollTop = element.scrollHeight;
            }
        }
    };
})();
