package tak

import (
	"context"
	"time"

	truce "github.com/truce-project/truce"
)

// Notify tells the connected devices of the notice's party's liaisons, as a chat message
// holding the notice's text (for a finding, its explanation): a finding concerning their
// party verified or withdrawn, and the other notices of the liaison channel. Devices of other
// parties and monitors' devices are not told; a notice that concerns no party goes to no one.
// It never waits (see truce.Notifier): the message is queued for each device as fan-out is.
// A Server is a truce.Notifier; truce serve adds it to the HTTP API's notifiers.
func (s *Server) Notify(_ context.Context, n truce.Notice) {
	if n.Party == "" || n.Party == truce.PartyUndetermined {
		return
	}
	var m *message
	for _, c := range *s.clients.Load() {
		if c.ident.Role != truce.RoleLiaison || c.ident.Party != n.Party {
			continue
		}
		if m == nil {
			at := n.Time
			if at.IsZero() {
				at = time.Now()
			}
			var err error
			if m, err = newMessage(noticeEvent(at, n.ID, n.Text)); err != nil {
				s.log.Error("tak: notice cannot be written as CoT", "notice", n.ID, "err", err)
				return
			}
		}
		c.offer(m)
		s.st.notices.Add(1)
	}
}

var _ truce.Notifier = (*Server)(nil)
