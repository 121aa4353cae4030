package main

import (
	"fmt"

	"luckbox/web"
)

// rateValue is a flag holding a web.Rate in ParseRate syntax: "20/s",
// "100/m,burst=20" or "off".
type rateValue struct{ r *web.Rate }

func (v rateValue) String() string {
	if v.r == nil {
		return ""
	}
	return v.r.String()
}

func (v rateValue) Set(s string) error {
	r, err := web.ParseRate(s)
	if err != nil {
		return err
	}
	*v.r = r
	return nil
}

// rateLimits are the limits the server applies: the configured ones, or none
// with --rate-limit off.
func (c *serveConfig) rateLimits() web.RateLimits {
	if c.RateLimit == "off" {
		return web.RateLimits{}
	}
	return c.Rates
}

// validateRateLimit checks the --rate-limit switch.
func (c *serveConfig) validateRateLimit() error {
	if c.RateLimit != "on" && c.RateLimit != "off" {
		return fmt.Errorf("invalid --rate-limit %q: must be on or off", c.RateLimit)
	}
	return nil
}
