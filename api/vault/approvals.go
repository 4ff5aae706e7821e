package vault

func (a *API) muaRoutes() []Route { return nil }
