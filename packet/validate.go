package packet

import "luckbox/auth"

// Validate checks in as Create does (input only: not the balance), without
// saving anything, and returns it normalised (the greeting Create would
// store). The HTTP layer calls it before the content safety check.
func (s *Service) Validate(sender auth.User, in CreateInput) (CreateInput, error) {
	_, _, err := s.validate(&in, sender)
	return in, err
}
