// cpu (whole file): an input of Devices.AuditFindsAFixedDevice, which the audit must skip.
torch::Tensor frames() { return torch::zeros({8, 3, 64, 64}); }
