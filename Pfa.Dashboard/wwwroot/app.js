// Keeps a live console pane pinned to its newest line while the user has not scrolled up.
window.pfaDashboard = {
    scrollToEnd: function (element) {
        if (element) element.scrollTop = element.scrollHeight;
    },
    isAtEnd: function (element) {
        return !element || element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    }
};
