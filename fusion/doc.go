// Package fusion turns the mission's separate reports into incidents: it groups the
// observations (and their findings) that describe one real event, locates fire from the
// bearings that sensors and monitors report, attributes it by the side of the line its origin
// lies on, and weighs each incident by how many independent sources saw it.
//
// # Grouping
//
// Observations join an incident when their kinds are compatible (presence.vehicle with
// presence.vehicle; a sound of a shell landing with others of its kind; fire from a firing
// position with other reports of firing positions) and they could be the same thing:
//
//   - Two point reports (a position with an uncertainty radius ce_m) are the same thing only
//     if their uncertainty circles overlap, since each circle holds the truth, and if they
//     were made within Config.PointWindow of each other.
//   - An acoustic sensor reports a bearing from where it stands, not a position. Reports of
//     one sound arrive within the time sound needs to cross the sensors' hearing range
//     (Config.AcousticWindow), from sensors close enough to have heard one source. The
//     reports must then fit one source: the incident's members and the new report are fitted
//     together, bearings and arrival times (t_i = t₀ + d_i / c, each time with a standard
//     deviation of Config.TimeTolerance plus the error of a speed of sound off by
//     Config.SoundSpeedTolerance over half the range), the source must be ahead of and within
//     range of every sensor, and the report may add at most Config.Gate to the fit's χ².
//     The times tell apart two sounds whose bearings happen to cross, and find a source in
//     line with two sensors, whose bearings alone hardly cross at all.
//   - A position report of fire joins bearings of it only within Config.MixedWindow of
//     them (a monitor reports within minutes; a sensor's time is when the sound arrived),
//     and only if the joint fit holds, as above.
//   - One source reports one event once: an incident never takes two observations from the
//     same source (a re-sent report has the same id and is recognised as the same).
//
// Among the incidents a report could join, it joins the one it fits best (the smallest
// normalised residual); otherwise it starts an incident of its own. Fusion is incremental: Add
// takes each observation as it arrives; an incident that has taken nothing for Config.Horizon
// of observation time is closed, handed to Config.OnClose and forgotten, so memory is bounded
// by the traffic of one horizon. Analysts may Merge and Split incidents, and fusion keeps to
// their decision: a split-off observation never rejoins the incident it was split from.
// Incident ids are derived from the first member, so the same input gives the same ids.
//
// # Localisation
//
// A bearing b from a reporter at S to a point P is the geodesic azimuth of P seen from S. The
// bearings of an incident are fitted by weighted least squares on a local tangent plane:
// minimise Σ (b_i − az(S_i, P))² / σ_i², starting from the pseudo-linear solution (the point
// nearest, in the weighted sense, to all lines of bearing) and iterating Gauss–Newton. The
// covariance of P is the inverse of the Fisher information at the solution,
// J = Σ u_i u_iᵀ / (σ_i² d_i²), where u_i is the unit vector across the line of bearing and
// d_i the range; the 95% error ellipse has semi-axes √(5.991 λ) for the eigenvalues λ of the
// covariance (5.991 is the 95% quantile of χ² with two degrees of freedom). Point reports of
// the same target (a monitor's position of a burst, an origin a monitor estimated) join the
// fit as position measurements with σ = ce/2.448, so that their 95% circle is the reported
// radius. Arrival times join only when a sensor states their precision (attrs.time_sd_s):
// the model then adds the emission time, t_i = t₀ + d_i / c.
//
// The position fusion reports is fitted to the bearings alone (and to arrival times only
// where sensors state their precision), so that it can be held to the Cramér–Rao bound of
// bearings-only localisation. Where the bearings do not cross ahead of the sensors, the fit
// with arrival times places the source instead, marked Uncrossed, and is not used to
// attribute.
//
// One wrong bearing must not move the answer: when the fit's χ² exceeds its 99% quantile,
// each bearing in turn is left out, and the one whose removal leaves a fit that passes is
// rejected as an outlier. With three bearings the wrong one cannot be told from the others;
// the covariance is then inflated by χ²/dof, so that an inconsistent fix claims less.
//
// # Origins and impacts
//
// A sound heard is where the sound was made. Following package sim, an explosion
// (fire.explosion) is heard where the shell lands, so its bearings locate the impact; a burst
// of fire, a muzzle flash and a launch (fire.burst, fire.flash, fire.projectile) are heard or
// seen where they were fired from, so their bearings locate the origin. attrs.bearing_of
// ("origin" or "impact") overrides the kind. An origin a monitor estimated (attrs origin_lat,
// origin_lon, origin_ce_m) is an origin measurement whatever the kind. Responsibility follows
// the origin only: an impact says who was hit, not who fired.
//
// # Attribution
//
// An incident's origin is attributed to a party when its whole 95% ellipse lies on that
// party's side of the nearest line that separates the parties. Far from the line it is enough
// that the centre's distance exceeds the ellipse's semi-major axis; near it, the line's
// segments are mapped into the coordinates in which the ellipse is the unit circle and the
// ellipse is clear of the line exactly when every segment stays outside that circle.
// Otherwise the origin is "undetermined", and the explanation says why.
//
// # Confidence
//
// Reports from one source are one source; so are reports from different sources made within
// Config.CoLocatedM of each other and Config.CoLocatedTime (two monitors in one vehicle). With
// n independent sources each right with probability Config.SourceReliability, the confidence
// that the incident happened is 1 − (1 − r)ⁿ.
package fusion
