package web

import (
	"net/http"

	"luckbox/auth"
)

// handleGroupProof verifies the caller's wx.getShareInfo or
// wx.getGroupEnterInfo data ({"encrypted_data","iv"}) with their session key
// and caches the proof that they are in its group: group-only packets and
// lotteries of that group then take them. The group is never echoed.
func (s *Server) handleGroupProof(w http.ResponseWriter, r *http.Request) {
	var in auth.GroupShare
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	_, p, err := s.Auth.ProveGroup(r.Context(), currentUser(r), "encrypted_data", in)
	s.writeResult(w, r, http.StatusOK, p, err)
}

// creatorGroup resolves the optional "group" of a create request: the
// creator's own share info of the group, proven (and cached) now. It
// returns the group's openGId, "" when share is nil.
func (s *Server) creatorGroup(r *http.Request, share *auth.GroupShare) (string, error) {
	if share == nil {
		return "", nil
	}
	gid, _, err := s.Auth.ProveGroup(r.Context(), currentUser(r), "group", *share)
	return gid, err
}
